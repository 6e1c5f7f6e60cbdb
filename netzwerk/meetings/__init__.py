"""Papers (Vorlagen) now; meetings, agendas and consultations follow."""
