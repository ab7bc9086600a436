from kubeward.cli.main import main

main()
