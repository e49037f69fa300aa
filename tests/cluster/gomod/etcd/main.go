// Command etcd is upstream etcd 3.5 built from its Go module for the sealed test cluster.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
