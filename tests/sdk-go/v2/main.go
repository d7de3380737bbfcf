// Prints the ARN of sts get-caller-identity through the Go SDK v2's default credentials chain
// (Debian 12's golang-github-aws-aws-sdk-go-v2-dev). Usage: caller-identity STS_ENDPOINT [CALLS SECONDS_APART]
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	calls, apart := 1, 0
	if len(os.Args) > 3 {
		calls, _ = strconv.Atoi(os.Args[2])
		apart, _ = strconv.Atoi(os.Args[3])
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.EndpointResolver = sts.EndpointResolverFromURL(os.Args[1])
	})
	for i := 0; i < calls; i++ {
		if i > 0 {
			time.Sleep(time.Duration(apart) * time.Second)
		}
		out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(*out.Arn)
	}
}
