"""The synthetic portfolio generator behind data/sample/."""
