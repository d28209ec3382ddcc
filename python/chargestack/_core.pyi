# Hand-written stub of the Rust extension `chargestack._core`; checked by mypy.stubtest.
# One section per area, in the order of rust/chargestack-py/src/lib.rs.

__version__: str
