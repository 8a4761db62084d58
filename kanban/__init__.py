"""kanban: boards, columns, cards and their history; idempotent upsert of proposed tasks."""
