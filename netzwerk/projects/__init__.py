"""Action-field projects (Modellmaßnahmen): partners, milestones, status reports, reach."""
