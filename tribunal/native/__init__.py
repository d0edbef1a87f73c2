"""Native code built on first use with the system C compiler (:mod:`tribunal.native.build`):
the keccak256 Merkle trees (:mod:`tribunal.native.keccak`)."""
