package trace

// StepExplanation returns, in plain language, what happens at step s of
// the trace t and why: one or two sentences built from the data of the
// step, for --explain. All the wording lives in explain_words.go.
func StepExplanation(t *Trace, s Step) string {
	return explainStep(t, s)
}
