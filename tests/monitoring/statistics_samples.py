"""Tables shaped like the statistical offices' regional database exports."""

# Header block, header row with units, German decimals and thousands, every
# footnote marker, a provisional value, the city's total, a footer.
GOOD = """Landesamt für Statistik Niedersachsen (LSN);;;
Tabelle 21111-03: Schulabgängerinnen und Schulabgänger nach Abschlussart;;;
Stadt Osnabrück, Stadtteile, Schuljahre;;;
;;;
Jahr;Stadtteil;ohne Hauptschulabschluss;Schulabgänger insgesamt
;;Anzahl;Anzahl
2023/24;Innenstadt;12;150
2023/24;Schinkel;31;420
2023/24;Schölerberg;-;95
2023/24;Wüste;.;310
2023/24;Darum/Gretesch/Lüstringen;x;88
2023/24;Haste;...;120
2023/24;Eversburg;/;77
2023/24;Stadt Osnabrück;1.234,5p;12.030
__________
Zeichenerklärung: - = nichts vorhanden; . = Zahlenwert unbekannt oder geheimzuhalten
Stand: 12.03.2025
(C) Landesamt für Statistik Niedersachsen, 2025
"""

# Line 9: a word where a number belongs; line 10: an unknown district;
# line 11: one cell too many.
BROKEN = """Landesamt für Statistik Niedersachsen (LSN);;;
Tabelle 21111-03: Schulabgängerinnen und Schulabgänger nach Abschlussart;;;
;;;
Jahr;Stadtteil;ohne Hauptschulabschluss;Schulabgänger insgesamt
;;Anzahl;Anzahl
2024;Innenstadt;12;150
2024;Schinkel;31;420
2024;Westerberg;4,5;99
2024;Haste;zwölf;120
2024;Atlantis;3;50
2024;Pye;1;2;3
__________
"""
