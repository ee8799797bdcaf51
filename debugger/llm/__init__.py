"""The model layer: one OpenAI-compatible client, answer parsing, a disk cache, redaction.

Only the engine calls into this package. Nothing a model says is shown as a
fact: its code goes through the same sandbox check as the edit search, and its
structured answers are evidence for ranking, never a verdict.
"""
