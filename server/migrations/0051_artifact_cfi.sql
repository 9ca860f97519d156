-- Breakpad STACK CFI text per native object, built at upload from the debug file's call
-- frame information (or taken from a .sym file), so minidumps walk without frame pointers.
ALTER TABLE artifact_objects ADD COLUMN cfi bytea NOT NULL DEFAULT '';
