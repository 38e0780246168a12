package profile

import "sync"

// Notices carries messages the user must see but that stop nothing (such as
// a corrupt profiles.json moved aside) from the Store to whichever face
// shows them. Messages that come before the face is ready wait for it.
type Notices struct {
	mu     sync.Mutex
	queued []string
	show   func(string)
}

// Add passes msg on, or keeps it until ShowWith is called. It is the warn
// function of a Store.
func (n *Notices) Add(msg string) {
	n.mu.Lock()
	show := n.show
	if show == nil {
		n.queued = append(n.queued, msg)
	}
	n.mu.Unlock()
	if show != nil {
		show(msg)
	}
}

// ShowWith hands the waiting messages to show, in order, and every later
// one as it comes.
func (n *Notices) ShowWith(show func(string)) {
	n.mu.Lock()
	queued := n.queued
	n.queued, n.show = nil, show
	n.mu.Unlock()
	for _, msg := range queued {
		show(msg)
	}
}
