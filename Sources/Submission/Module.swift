// The Submission module; see docs/architecture.md.
