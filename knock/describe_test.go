package knock

import "testing"

func TestEventWords(t *testing.T) {
	step := StepEvent{Attempt: 1, Index: 1, Count: 3, Step: Step{Proto: UDP, Port: 1234, Payload: Payload{Data: []byte("test")}}}
	if got := step.Progress() + step.Retry(); got != "step 2/3 udp/1234 (4-byte payload)" {
		t.Errorf("first attempt: %q", got)
	}
	step.Attempt = 3
	if got := step.Retry(); got != " (knock 3)" {
		t.Errorf("third attempt: %q", got)
	}
	if open, closed := (VerifyEvent{Open: true}).State(), (VerifyEvent{}).State(); open != "open" || closed != "still closed" {
		t.Errorf("verify states %q, %q", open, closed)
	}
}
