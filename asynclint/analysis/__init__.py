"""What asynclint knows of code without libcst (`ast` walks, the project index, modules) and the
libcst helpers the rules share."""
