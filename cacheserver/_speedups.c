/* Compiled pieces of the data path. Optional: where the extension is not built, the code that calls
 * it takes its pure-Python path instead (the request reader: hiredis plus its Python parser), and the
 * tests run both.
 *
 * parse_requests(data, out, pos, max_bulk_len) -> int
 *     Appends to ``out`` the multibulk requests found in ``data`` from ``pos`` (each a list of bytes)
 *     and returns the offset where it stopped. It takes only what is plainly well formed: a '*'
 *     header, then that many '$' bulk strings, every length in canonical decimal (no sign, no leading
 *     zero) and every line ending in CRLF, the whole request present. It stops, without consuming
 *     it, at anything else (an inline command, a partial request, an empty or huge multibulk, a bulk
 *     above ``max_bulk_len``, any protocol error): the Python parser, a transcription of Redis's,
 *     takes over from there and gives Redis's exact behaviour and error text. Nothing is allocated
 *     for a request before all of it has arrived.
 *
 * store_string_pairs(data, expires, lru, argv, start, stamp, key_entry, expire_entry) -> (delta, stop)
 *     MSET's loop (Database.set_pairs): from ``argv[start]``, stores each key/value pair whose key is
 *     missing or holds bytes, drops its TTL and stamps it in ``lru``, and returns the change of the
 *     memory charge (the same charges as Database.set) with the index of the first pair it did not
 *     store (``len(argv)`` when it stored them all): a key holding another type, or an argument that
 *     is not bytes, is left to the caller.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* A length line: canonical decimal digits then CRLF. Returns the value and sets *next after the
 * CRLF, or -1 for anything else (more than 12 digits included: far above any allowed length). */
static inline long long
read_length(const char *p, const char *end, const char **next)
{
    const char *q = p;
    long long v;
    if (q >= end)
        return -1;
    if (*q == '0') {
        v = 0;
        q++;
    }
    else {
        if (*q < '1' || *q > '9')
            return -1;
        v = 0;
        while (q < end && *q >= '0' && *q <= '9') {
            if (q - p == 12)
                return -1;
            v = v * 10 + (*q - '0');
            q++;
        }
    }
    if (end - q < 2 || q[0] != '\r' || q[1] != '\n')
        return -1;
    *next = q + 2;
    return v;
}

static PyObject *
parse_requests(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "parse_requests(data, out, pos, max_bulk_len)");
        return NULL;
    }
    PyObject *data = args[0];
    PyObject *out = args[1];
    if (!PyBytes_Check(data) || !PyList_Check(out)) {
        PyErr_SetString(PyExc_TypeError, "parse_requests expects bytes and a list");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[2]);
    if (pos == -1 && PyErr_Occurred())
        return NULL;
    long long max_bulk = PyLong_AsLongLong(args[3]);
    if (max_bulk == -1 && PyErr_Occurred())
        return NULL;

    const char *buf = PyBytes_AS_STRING(data);
    const char *end = buf + PyBytes_GET_SIZE(data);
    const char *p = buf + (pos < 0 ? 0 : pos);
    if (p > end)
        p = end;

    while (p < end && *p == '*') {
        const char *q;
        long long argc = read_length(p + 1, end, &q);
        /* An empty multibulk is skipped by Redis, and each element takes at least 6 bytes
         * ("$0\r\n\r\n"): a count the rest of the chunk cannot hold is a partial request. */
        if (argc <= 0 || argc > (end - q) / 6)
            break;
        PyObject *req = PyList_New((Py_ssize_t)argc);
        if (req == NULL)
            return NULL;
        Py_ssize_t i;
        for (i = 0; i < argc; i++) {
            const char *r;
            if (q >= end || *q != '$')
                break;
            long long size = read_length(q + 1, end, &r);
            if (size < 0 || size > max_bulk || end - r < size + 2 || r[size] != '\r' || r[size + 1] != '\n')
                break;
            PyObject *arg = PyBytes_FromStringAndSize(r, (Py_ssize_t)size);
            if (arg == NULL) {
                Py_DECREF(req);
                return NULL;
            }
            PyList_SET_ITEM(req, i, arg);
            q = r + size + 2;
        }
        if (i < argc) {
            Py_DECREF(req); /* the unset items are NULL, which list_dealloc skips */
            break;
        }
        if (PyList_Append(out, req) < 0) {
            Py_DECREF(req);
            return NULL;
        }
        Py_DECREF(req);
        p = q;
    }
    return PyLong_FromSsize_t(p - buf);
}

/* The charge of a string's allocation: Database's ``(len + 48) & -16``. */
#define STRING_CHARGE(n) (((long long)(n) + 48) & ~15LL)

static PyObject *
store_string_pairs(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError,
                        "store_string_pairs(data, expires, lru, argv, start, stamp, key_entry, expire_entry)");
        return NULL;
    }
    PyObject *data = args[0], *expires = args[1], *lru = args[2], *argv = args[3], *stamp = args[5];
    if (!PyDict_CheckExact(data) || !PyDict_CheckExact(expires) || !PyDict_CheckExact(lru) || !PyList_CheckExact(argv)) {
        PyErr_SetString(PyExc_TypeError, "store_string_pairs expects three dicts and a list");
        return NULL;
    }
    Py_ssize_t i = PyLong_AsSsize_t(args[4]);
    if (i == -1 && PyErr_Occurred())
        return NULL;
    long long key_entry = PyLong_AsLongLong(args[6]);
    if (key_entry == -1 && PyErr_Occurred())
        return NULL;
    long long expire_entry = PyLong_AsLongLong(args[7]);
    if (expire_entry == -1 && PyErr_Occurred())
        return NULL;

    long long delta = 0;
    Py_ssize_t n = PyList_GET_SIZE(argv);
    for (; i + 1 < n; i += 2) {
        PyObject *key = PyList_GET_ITEM(argv, i);
        PyObject *value = PyList_GET_ITEM(argv, i + 1);
        if (!PyBytes_CheckExact(key) || !PyBytes_CheckExact(value))
            break;
        PyObject *old = PyDict_GetItemWithError(data, key); /* borrowed */
        if (old == NULL) {
            if (PyErr_Occurred())
                return NULL;
            delta += key_entry + STRING_CHARGE(PyBytes_GET_SIZE(key)) + STRING_CHARGE(PyBytes_GET_SIZE(value));
        }
        else if (PyBytes_CheckExact(old)) {
            delta += STRING_CHARGE(PyBytes_GET_SIZE(value)) - STRING_CHARGE(PyBytes_GET_SIZE(old));
        }
        else {
            break;
        }
        if (PyDict_SetItem(data, key, value) < 0)
            return NULL;
        if (PyDict_GET_SIZE(expires)) {
            int had = PyDict_Contains(expires, key);
            if (had < 0)
                return NULL;
            if (had) {
                if (PyDict_DelItem(expires, key) < 0)
                    return NULL;
                delta -= expire_entry;
            }
        }
        if (PyDict_SetItem(lru, key, stamp) < 0)
            return NULL;
    }
    if (i > n)
        i = n;
    return Py_BuildValue("(Ln)", delta, i);
}

static PyMethodDef methods[] = {
    {"parse_requests", (PyCFunction)(void (*)(void))parse_requests, METH_FASTCALL,
     "parse_requests(data, out, pos, max_bulk_len) -> offset where parsing stopped"},
    {"store_string_pairs", (PyCFunction)(void (*)(void))store_string_pairs, METH_FASTCALL,
     "store_string_pairs(data, expires, lru, argv, start, stamp, key_entry, expire_entry) -> (delta, stop)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "cacheserver._speedups", "Compiled pieces of the data path.", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
