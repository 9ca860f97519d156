-- release_clusters is written for every processed batch; a foreign key to clusters made
-- each row a second lookup (a trigger per row). Rows of a cluster are rebuilt or removed by
-- server.db.releases.recount_clusters whenever a cluster's events move or it is deleted
-- (clusters.recompute), so the key only cost time. The release key stays: it cascades.
ALTER TABLE release_clusters DROP CONSTRAINT release_clusters_cluster_id_fkey;
