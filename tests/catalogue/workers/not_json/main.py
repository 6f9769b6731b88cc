# Exits 0 but prints text that is not JSON.
print("this is not JSON {")
