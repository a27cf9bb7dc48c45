from proofs_check.cli import main

main()
