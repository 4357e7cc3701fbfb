"""Projects' filing data (附件1) and review, credit codes, and the city an enterprise belongs to."""
