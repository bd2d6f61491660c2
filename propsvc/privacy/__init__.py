"""Personal data [T9]: the one reveal mechanism, its audit log, and stewards' cover (代班) [D2]."""
