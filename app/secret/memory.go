package secret

import (
	"context"
	"sync"
)

// Memory is a Store in process memory, for tests. Its zero value is empty and
// ready; it applies the same size limit as the keyring.
type Memory struct {
	mu    sync.Mutex
	items map[string]string
}

var _ Store = (*Memory)(nil)

func (m *Memory) Get(ctx context.Context, id string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[id]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (m *Memory) Set(ctx context.Context, id, value string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := CheckSize(value); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items == nil {
		m.items = make(map[string]string)
	}
	m.items[id] = value
	return nil
}

func (m *Memory) Delete(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[id]; !ok {
		return ErrNotFound
	}
	delete(m.items, id)
	return nil
}

// Len is the number of secrets held.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}
