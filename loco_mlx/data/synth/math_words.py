"""Word pools shared by the program-style math shapes (math_shapes_*.py)."""

NAMES = ("Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Iris", "Jonas", "Kemi", "Liam", "Mina",
         "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wei", "Yusuf", "Zoe", "Aiko",
         "Bruno", "Carmen", "Diego", "Elif", "Femi", "Hana", "Ivan", "Jada", "Kofi", "Leila", "Mateo", "Nia",
         "Omar", "Priya", "Sofia", "Tomas", "Ines", "Raj", "Lucy", "Marco", "Ayla", "Kenji")  # fmt: skip
