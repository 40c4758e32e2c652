# The part of pybloom-live 4.0 that exporter/dedupe.py uses; the package ships no type information.
# Attribute names and meanings are from pybloom_live/pybloom.py (BloomFilter.__init__ and _setup).
from collections.abc import Callable, Iterable

from bitarray import bitarray as _bitarray

class BloomFilter:
    capacity: int
    error_rate: float
    num_slices: int
    bits_per_slice: int
    num_bits: int
    count: int
    bitarray: _bitarray
    # Yields one position per slice for a key; exporter/dedupe.py replaces it with a list-returning one.
    make_hashes: Callable[[int], Iterable[int]]
    def __init__(self, capacity: int, error_rate: float = ...) -> None: ...
    def __contains__(self, key: object) -> bool: ...
    def __len__(self) -> int: ...
    def add(self, key: object, skip_check: bool = ...) -> bool: ...
