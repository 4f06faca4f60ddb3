"""What citizens see — the hand-written flows and the catalogue — as numbered versions, published live."""
