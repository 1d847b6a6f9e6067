-- A queue entry is claimed (owner, lease) once or twice and then deleted: with half of each
-- page free, the claim rewrites it in place without touching an index (a HOT update).
ALTER TABLE send_queue SET (fillfactor = 50);
