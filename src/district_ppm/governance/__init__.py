"""The management system: forums, meetings, agendas, decisions, accountabilities and assessment."""
