"""One class per API resource; `SynapScale` holds an instance of each."""
