// Swift cannot call C's variadic functions, and sqlite3_db_config is one. This one call is
// the whole reason for this C target.
//
// SQLite links into Kefu through sqlite-nio, which renames every symbol with a sqlite_nio_
// prefix and keeps its headers private, so the prototype is declared here.
#include "CKefuSQLite.h"

extern int sqlite_nio_sqlite3_db_config(void *connection, int op, ...);

// SQLITE_DBCONFIG_ENABLE_QPSG in sqlite3.h.
#define KEFU_SQLITE_DBCONFIG_ENABLE_QPSG 1007

int kefu_sqlite_enable_stable_plans(void *connection) {
    int enabled = 0;
    return sqlite_nio_sqlite3_db_config(connection, KEFU_SQLITE_DBCONFIG_ENABLE_QPSG, 1, &enabled);
}
