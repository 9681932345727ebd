package trace

// explainStep is filled in with the wording of --explain.
func explainStep(t *Trace, s Step) string { return "" }
