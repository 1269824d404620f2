// libuv's thread pool the way node programs use it, for the e2e.debian.node test: key
// derivations, compression and file reads run on worker threads (pthread mutexes and condition
// variables), and OpenSSL deletes its thread-local keys from an atexit handler while those
// workers still live. Nothing here is a misuse: lockwatch must report nothing.
const crypto = require('crypto');
const fs = require('fs');
const zlib = require('zlib');

const jobs = 16;
let done = 0;
for (let i = 0; i < jobs; i++) {
  crypto.pbkdf2('password' + i, 'salt', 20000, 32, 'sha256', (err) => {
    if (err) throw err;
    if (++done === jobs) compress();
  });
}

function compress() {
  const data = Buffer.alloc(4 << 20, 'lockwatch ');
  zlib.gzip(data, (err, packed) => {
    if (err) throw err;
    zlib.gunzip(packed, (err2, back) => {
      if (err2) throw err2;
      fs.readFile(__filename, (err3, text) => {
        if (err3) throw err3;
        console.log('keys', done, 'round trip', back.equals(data), 'read', text.length > 0);
      });
    });
  });
}
