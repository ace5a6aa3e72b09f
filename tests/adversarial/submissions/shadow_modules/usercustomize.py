"""A file named like a module the evaluator uses; importing it ends everything."""
open("/tmp/agadv_shadow_imported", "w").write('usercustomize.py')
raise SystemExit(3)
