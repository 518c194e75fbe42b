"""The service desk's verbs: levels (configuration), tickets (every change of a ticket),
notices (what the member is told), escalation, and the reads the pages and the API share."""
