"""The use case "a vendor called us": verify, parse, store once, run the keyword pipeline."""
