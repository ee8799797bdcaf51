"""The edit generator's mutators, one module per family of small edits."""
