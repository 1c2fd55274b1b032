# leaks / clean / restore: json-c reads clean's save manifests back.
LDLIBS += $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)
