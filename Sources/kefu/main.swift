import ArgumentParser; import Configuration; print("kefu")
