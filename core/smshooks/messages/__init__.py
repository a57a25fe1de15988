"""Outbound SMS: transactional sends (the API) and the job that hands a message to its vendor."""
