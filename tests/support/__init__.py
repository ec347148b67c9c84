"""Helpers shared by the tests: paths, the offline guard, fakes, recorded-format stand-ins, the moto stack."""
