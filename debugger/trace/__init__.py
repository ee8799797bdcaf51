"""The tracer: AST instrumentation and bounded value snapshots, inside the child."""
