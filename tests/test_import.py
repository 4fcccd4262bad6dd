import subprocess
import sys


def test_importing_the_package_loads_no_heavy_library():
    code = (
        "import sys, mlops_lab, mlops_lab.data, mlops_lab.quiz, mlops_lab.exercises, mlops_lab.cli;"
        "heavy = {'pandas', 'numpy', 'sklearn', 'mlflow', 'kfp', 'matplotlib', 'ipywidgets', 'yaml'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
