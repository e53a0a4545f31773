// The Pipelines module; see docs/architecture.md.
