-- What a language model did in an evaluation, as JSON: the planner used
-- ("rules" or "llm:<provider>"), why a model planner gave way to the
-- rules, and the flags raised on its answer (claims and links the evidence
-- does not back, refused tool calls). Token usage and its cost stay in the
-- usage column.

-- +goose Up
ALTER TABLE copilot_evaluations ADD COLUMN llm TEXT NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE copilot_evaluations DROP COLUMN llm;
