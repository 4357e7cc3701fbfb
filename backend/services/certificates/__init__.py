"""Training certificates (培训证明): issued at close, signed PDFs, verification, revocation."""
