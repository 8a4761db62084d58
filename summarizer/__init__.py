"""summarizer: rolling and final meeting summaries and action items (LLM or rules)."""
