"""The kanban REST API under /api/v1/boards and /api/v1/cards."""
