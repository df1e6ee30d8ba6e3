#ifndef CKEFU_SQLITE_H
#define CKEFU_SQLITE_H

/// Turns on SQLite's query planner stability guarantee for one connection (sqlite3 *, as an
/// opaque pointer). Returns SQLite's result code.
int kefu_sqlite_enable_stable_plans(void *connection);

#endif
