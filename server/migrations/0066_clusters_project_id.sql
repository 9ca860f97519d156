-- A project's clusters by id: the support lookup's sync reads the project's newest cluster and
-- the ones after its watermark on every lookup (the primary key alone walks other projects' too).
CREATE INDEX clusters_project_id ON clusters (project_id, id);
