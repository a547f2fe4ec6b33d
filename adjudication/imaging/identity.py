"""The proposal's name, version and confidence threshold: light constants that web processes
read without loading the numerical libraries (scipy) the analysis itself needs."""

ALGORITHM = "polar-dp-lumen+shadow-struts"
ALGORITHM_VERSION = "1.0.0"

LOW_CONFIDENCE = 0.5  # below this a frame is marked for the reader to check (or draw by hand)
