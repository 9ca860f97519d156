-- A document's terms as the tokenizer gave them when it was indexed (msgpack: [title terms,
-- the other fields' terms], in order, repeats kept), so the lookup's BM25 re-scoring of up to
-- a hundred candidates reads them instead of tokenising each candidate's text again (half
-- of a lookup's time at 100,000 tickets). The vector cannot stand in: it keeps at most 256
-- positions per term and none past 16,383. NULL for documents indexed before this column:
-- their text is tokenised as before, until they are indexed again.
ALTER TABLE search_documents ADD COLUMN tokens bytea;
