package knock

import "fmt"

// The progress lines the window and the CLI show read the same; these put
// them in words. None of them holds a payload.

// Progress names the step and its place: "step 2/3 udp/1234 (4-byte payload)".
func (e StepEvent) Progress() string {
	return fmt.Sprintf("step %d/%d %s", e.Index+1, e.Count, e.Step.Summary())
}

// Retry is " (knock N)" when the sequence is being sent again, else "".
func (e StepEvent) Retry() string {
	if e.Attempt > 1 {
		return fmt.Sprintf(" (knock %d)", e.Attempt)
	}
	return ""
}

// State says what the check found: "open" or "still closed".
func (e VerifyEvent) State() string {
	if e.Open {
		return "open"
	}
	return "still closed"
}
