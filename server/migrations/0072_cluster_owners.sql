-- Cluster ownership: the member an engineer made responsible for a cluster (server/services/cluster_owners.py).
-- A deleted user leaves the cluster unowned; a member removed from the organization is unassigned by the service.
ALTER TABLE clusters ADD COLUMN owner_id bigint REFERENCES users(id) ON DELETE SET NULL;

-- The list's owner filter (project and owner, both equalities) and the ON DELETE SET NULL above, which looks
-- clusters up by owner alone: owner first serves both. Unowned clusters, most of them, are left out of it.
CREATE INDEX clusters_owner_project ON clusters (owner_id, project_id) WHERE owner_id IS NOT NULL;
