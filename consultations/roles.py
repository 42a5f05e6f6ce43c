"""The clinic's staff roles, as Django groups."""

COORDINATORS = "coordinators"
SURGEONS = "surgeons"
